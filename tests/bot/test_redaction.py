"""Personal numbers masked by bot.text.redact (used by the tracker store, the staff exports and logs):
ID-card, mobile and Luhn-valid bank-card numbers; other long numbers are left alone."""
from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.text import luhn_ok, normalise, redact
from bot.tracker_store import RedactingSQLTrackerStore


def with_check_digit(body: str) -> str:
    """body + the digit that makes the Luhn sum a multiple of 10."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


CARD_16 = with_check_digit("622202123456789")      # 16 digits
CARD_19 = with_check_digit("621700123456789012")   # 19 digits
NOT_CARD = CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10)  # same length, Luhn fails


def test_the_numbers_are_what_they_claim():
    assert luhn_ok(CARD_16) and luhn_ok(CARD_19) and not luhn_ok(NOT_CARD)
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize("written", [
    CARD_16, CARD_19,
    " ".join(CARD_16[i:i + 4] for i in range(0, 16, 4)),
    "-".join(CARD_16[i:i + 4] for i in range(0, 16, 4)),
    " ".join([CARD_19[:6], CARD_19[6:19]]),
])
def test_bank_card_numbers_are_masked_keeping_length_and_separators(written):
    text = f"我的银行卡号是{written}，麻烦查一下"
    masked = redact(text)
    assert len(masked) == len(text)
    digits = "".join(c for c in masked if c.isdigit())
    assert digits == written.replace(" ", "").replace("-", "")[:4] + written.replace(" ", "").replace("-", "")[-4:]
    assert masked.startswith("我的银行卡号是" + written[:4]) and masked.endswith(written[-4:] + "，麻烦查一下")
    assert [c for c in masked if c in " -"] == [c for c in written if c in " -"]


@pytest.mark.parametrize("text", [
    f"订单号{NOT_CARD}",                     # 16 digits, Luhn fails
    "4111 1111 1111 1112",                   # grouped, Luhn fails
    "流水号" + "1" * 15 + "0",               # 16 digits: 1*15+0 → sum not a multiple of 10
    "12345678901234567890123",               # 23 digits: longer than any card
    "去年裁员6人，参保30人，缴费12345.67元",  # ordinary numbers
])
def test_numbers_that_are_not_cards_are_left_alone(text):
    if text.startswith("流水号"):
        assert not luhn_ok(text[3:])
    assert redact(text) == text


def test_id_card_and_mobile_still_masked_beside_a_card():
    text = f"身份证150203199001011234 手机13812345678 卡号{CARD_19}"
    assert redact(text) == f"身份证150203********1234 手机138****5678 卡号{CARD_19[:4]}{'*' * 11}{CARD_19[-4:]}"
    assert len(normalise(text)) == len(text)


def test_full_width_card_digits_are_masked_after_normalising():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in CARD_16)
    assert CARD_16[4:12] not in normalise(f"卡号{full_width}")


def test_the_tracker_store_never_writes_a_card_number(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    store = RedactingSQLTrackerStore(domain=Domain.empty(), db=str(tmp_path / "trackers.db"))
    tracker = DialogueStateTracker("card-sender", [])
    for event in [ActionExecuted("action_listen"),
                  UserUttered(f"卡号{CARD_16} 手机13812345678", intent={"name": "inform", "confidence": 0.9},
                              parse_data={"text": f"卡号{CARD_16} 手机13812345678"}),
                  BotUttered(f"您说的卡号是{CARD_16}吗")]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(sa.text("select data from events")))
    engine.dispose()
    assert CARD_16 not in stored and "13812345678" not in stored
    assert CARD_16[:4] + "*" * 8 + CARD_16[-4:] in stored
