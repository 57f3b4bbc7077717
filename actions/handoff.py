"""Hand-off to a human agent, the bot's side.

"转人工" (intent human_handoff), or the 转人工 button the bot offers after two failed turns in a row,
puts the conversation in the staff panel's queue (channels/staff/handoff_queue.py) and pauses the bot
with Rasa's ConversationPaused: from then on Rasa records what the citizen writes without answering,
until the staff application resumes it (ConversationResumed) when the agent or the citizen ends the
human service. Only channels that can deliver a reply later (the web widget's socket.io, WeChat's
customer-service messages) are handed off; on REST and the terminal the citizen is given the hotline.

Analytics counts hand-offs as the `pause` events of the events table: ConversationPaused is emitted
exactly when a conversation enters the queue, and nowhere else.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from channels.staff import handoff_queue as queue

from .replies import HOTLINE, Reply

logger = logging.getLogger(__name__)

FAILED = ("unclear", "out_of_scope")   # payload keys of a reply that did not help
OFFER_BUTTON = {"title": "转人工", "payload": "/human_handoff"}
FORM_EVENTS = "handoff_form_events"
END_HINT = f"如需返回智能助手，请输入“{queue.END_PHRASE}”。"


def can_hand_off(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in queue.CHANNELS


def _previous_replies(tracker: Tracker) -> List[Dict[str, Any]]:
    """The `custom` payloads of the bot's replies to the message before this one."""
    payloads: List[Dict[str, Any]] = []
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                break
        elif users == 1 and event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            if isinstance(custom, dict):
                payloads.append(custom)
    return payloads


def previous_turn_failed(tracker: Tracker) -> bool:
    return any(custom.get(key) for custom in _previous_replies(tracker) for key in FAILED)


def with_offer(reply: Reply, tracker: Tracker) -> Reply:
    """The second failed turn in a row: the same reply, and the offer of a human (where one can answer)."""
    if not (can_hand_off(tracker) and previous_turn_failed(tracker)):
        return reply
    return {**reply, "text": reply["text"] + "\n需要的话，我可以为您转接人工客服：请点击“转人工”，或直接回复“转人工”。",
            "buttons": [*reply.get("buttons", []), OFFER_BUTTON],
            "json_message": {**reply["json_message"], "handoff_offer": True}}


def queued_text(agents_online: int, in_hours: bool) -> str:
    if not in_hours:
        hours = queue.service_hours()
        return (f"现在不在人工客服服务时间（{hours.describe() if hours else ''}）。您的人工服务请求已登记，"
                f"客服上班后会在这里回复您；急需咨询请拨打{HOTLINE}人社服务热线。{END_HINT}")
    if not agents_online:
        return (f"抱歉，目前没有人工客服在线。您的人工服务请求已登记排队，客服上线后会在这里回复您；"
                f"急需咨询请拨打{HOTLINE}人社服务热线。{END_HINT}")
    return f"好的，正在为您转接人工客服，请稍候，客服接入后会在这里回复您。人工服务期间智能助手暂停回答。{END_HINT}"


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, may_pause: bool = True) -> List[Dict]:
    """Queue the conversation and pause the bot; or, where that cannot work, give the hotline."""
    if not can_hand_off(tracker):
        dispatcher.utter_message(response="utter_human_handoff")
        return []
    reason = "offered" if any(custom.get("handoff_offer") for custom in _previous_replies(tracker)) else "asked"
    try:
        engine = queue.shared_engine()
        queue.request(engine, tracker.sender_id, tracker.get_latest_input_channel(), reason)
        online = queue.agents_online(engine)
    except SQLAlchemyError as problem:  # the queue is unreachable: no one would ever answer a paused conversation
        logger.error("hand-off not queued (%s); the citizen is given the hotline", type(problem).__name__)
        dispatcher.utter_message(response="utter_human_handoff")
        return []
    in_hours = queue.in_service_hours()
    dispatcher.utter_message(text=queued_text(online, in_hours), json_message={
        "smalltalk": "human_handoff",
        "handoff": {"status": "queued", "agents_online": online > 0, "in_hours": in_hours}})
    if not may_pause:
        # Asked in the middle of an eligibility check: a form's validation returns slots only, so the events
        # wait on the dispatcher for FactQuestionForm.run, which ends the form (requested_slot None) and pauses.
        setattr(dispatcher, FORM_EVENTS, [SlotSet("requested_slot", None), ConversationPaused()])
        return []
    return [ConversationPaused()]


def events_for_form(dispatcher: CollectingDispatcher) -> List[Dict]:
    """The events a hand-off asked inside a form left for the form's validation action to return."""
    return list(getattr(dispatcher, FORM_EVENTS, []))


def ends_handoff(intent: str, confidence: float, text: str) -> bool:
    """"结束人工服务" and its paraphrases (intent end_handoff), or the exact words whatever the NLU says."""
    return (intent == "end_handoff" and confidence >= queue.END_CONFIDENCE) or queue.is_end_request(text)


def not_in_handoff(dispatcher: CollectingDispatcher) -> List[Dict]:
    """"结束人工服务" when no human has the conversation (the staff application handles it while one does)."""
    dispatcher.utter_message(text="您现在是在和智能助手对话，没有进行中的人工服务。请问还有什么政策问题需要了解？",
                             json_message={"handoff": {"status": "none"}})
    return []
