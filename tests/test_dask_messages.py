"""Reply metrics on Dask: messages travel with their conversations."""

import dask
import dask.dataframe as dd
import numpy as np
import pytest

import servicequality.dask as sqd
from servicequality import RatingScale, UnknownKeyError, ValidationError, measure
from servicequality.demo import example_shop

METRICS = [
    "reply_time",
    "replied_within",
    "longest_customer_wait",
    "handover_response_time",
    "first_contact_resolution",
]


@pytest.fixture(scope="module")
def shop():
    return example_shop(6_000, seed=4, messages=True)


@pytest.fixture(scope="module")
def frames(shop):
    return (
        dd.from_pandas(shop.to_pandas(), npartitions=4),
        dd.from_pandas(shop.messages.to_pandas(), npartitions=3),
    )


def distributed(shop, frames, **options):
    conversations, messages = frames
    with dask.config.set(scheduler="threads"):
        return sqd.measure(
            conversations,
            METRICS,
            by="agent",
            rating_scale=RatingScale.THREE_LEVEL,
            agents=shop.agents,
            messages=messages,
            **options,
        )


class TestMessagesOnDask:
    @pytest.mark.parametrize("shuffle", [None, False])
    def test_equals_one_process(self, shop, frames, shuffle):
        """By conversation or by customer: the same states as one process
        (first-contact resolution only when shuffled by customer)."""
        result = distributed(shop, frames, shuffle=shuffle)
        single = measure(shop, METRICS, by="agent")
        assert result.keys == single.keys
        for name in METRICS[:-1]:
            np.testing.assert_allclose(result.state(name), single.state(name))
        fcr_equal = np.allclose(
            result.state("first_contact_resolution"),
            single.state("first_contact_resolution"),
        )
        assert fcr_equal == (shuffle is None)

    def test_renamed_message_columns(self, shop, frames):
        conversations, messages = frames
        renamed = messages.rename(columns={"conversation_id": "chat", "sent_at": "t"})
        with dask.config.set(scheduler="threads"):
            result = sqd.measure(
                conversations,
                "reply_time",
                rating_scale=RatingScale.THREE_LEVEL,
                agents=shop.agents,
                messages=renamed,
                message_columns={"conversation_id": "chat", "sent_at": "t"},
            )
        assert (
            result.get("reply_time").n
            == measure(shop, "reply_time").get("reply_time").n
        )

    def test_a_message_without_its_conversation_is_an_error(self, shop, frames):
        """Never dropped: a message of an unknown conversation raises."""
        conversations, messages = frames
        head = conversations.head(100, npartitions=-1)
        with (
            dask.config.set(scheduler="threads"),
            pytest.raises(UnknownKeyError, match="not a conversation"),
        ):
            sqd.measure(
                dd.from_pandas(head, npartitions=2),
                "reply_time",
                rating_scale=RatingScale.THREE_LEVEL,
                agents=shop.agents,
                messages=messages,
            )

    def test_messages_must_be_a_dask_frame(self, shop, frames):
        conversations, _ = frames
        with pytest.raises(ValidationError, match="Dask DataFrame"):
            sqd.measure(
                conversations,
                "reply_time",
                rating_scale=RatingScale.THREE_LEVEL,
                messages=shop.messages.to_pandas(),
            )
