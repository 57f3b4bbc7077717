"""The referral table (bot/referrals.yml): every out-of-scope word sends the person to the office that
handles it, 12333 only where the human-resources hotline is the right number."""
import pytest

from actions.replies import out_of_scope_reply
from bot.referrals import only_in_passing, out_of_scope_terms, referral_for, referrals
from bot.text import normalise
from bot.understanding import understand


def test_every_referral_is_complete_and_every_word_belongs_to_one():
    terms = out_of_scope_terms()
    assert len(terms) == len(set(terms))
    for referral in referrals():
        assert referral.subject and referral.terms
        assert referral.phone is None or referral.phone.isdigit()


@pytest.mark.parametrize("text, office, phone", [
    ("医保报销比例是多少", "医疗保障局", "12393"),
    ("公积金怎么提取", "住房公积金管理中心", "12329"),
    ("个税怎么申报", "税务", "12366"),
    ("户口迁移要什么手续", "派出所", None),
    ("退休金什么时候涨", "社会保险经办机构", "12333"),
    ("公司拖欠工资怎么办", "劳动人事争议仲裁委员会", "12333"),
    ("老板拖欠我工资找谁", "劳动保障监察机构", "12333"),
])
def test_the_decline_names_the_office_that_handles_the_question(text, office, phone):
    terms = understand(normalise(text)).out_of_scope_terms
    reply = out_of_scope_reply(terms)
    assert office in reply["text"] and office in reply["json_message"]["referral"]["office"]
    assert reply["json_message"]["referral"].get("phone") == phone
    assert "measure" not in reply["json_message"] and reply["json_message"]["out_of_scope"] is True
    if phone != "12333":
        assert "12333" not in reply["text"]


def test_a_subject_without_an_office_is_declined_with_the_general_hotlines():
    reply = out_of_scope_reply(understand("明天天气怎么样").out_of_scope_terms)
    assert reply["json_message"] == {"out_of_scope": True}
    assert "12345" in reply["text"]


def test_words_that_sit_inside_measure_questions_are_marked():
    assert only_in_passing(["医保"]) and only_in_passing(["补缴"])
    assert not only_in_passing(["公积金"]) and not only_in_passing(["医保", "公积金"]) and not only_in_passing([])
    assert referral_for(["不存在的词", "个税"]).id == "tax"
