"""How a question is put, read both by the NLU (bot/understanding.py) and by the router (actions/respond.py);
plain regular expressions, so the action server does not load the NLU's spaCy matchers to use them."""
from __future__ import annotations

import re

# "去哪办", "在哪儿申请": where to apply asks both which office and how; the answer gives both.
WHERE_TO_APPLY = re.compile(r"(?:在|去|到|上|往)(?:哪|哪儿|哪里|哪个地方)(?:去|能|可以)?(?:办|申请|领|报|交|递|申报|办理)")
