"""The rasa-sdk action server: thin actions that read the conversation, call policies_kb, and reply.

  respond.py      the router every user message outside a form goes through (answers, clarifications,
                  declines, small talk, starting a check)
  resolution.py   deciding which measure and aspect a message is about (pure, no Rasa)
  replies.py      the reply texts and the machine-readable payloads (the contract in README.md)
  fact_forms.py   the shared base of the two question-asking forms (answers, corrections, "不知道")
  eligibility.py  one measure's eligibility check          checkup.py  the 政策体检 over all 19
  conversation.py reading dates, slots and messages from the tracker
"""
