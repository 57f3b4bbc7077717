"""Load and validate the knowledge-base files under policies_kb/data/.

`load_kb()` is the one entry point; it fails with KbError naming the file and the field when anything
is missing, misspelt or inconsistent (19 measures numbered 1-19, known service entries, known routes).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from pydantic import ValidationError

from .schema import EnumValue, Fact, IndustriesFile, Industry, Measure, ServiceEntry, Topic

DATA_DIR = Path(__file__).parent / "data"
MEASURE_COUNT = 19


class KbError(Exception):
    """The knowledge base is broken; the message says which file and field, and what is wrong."""


@dataclass(frozen=True)
class KnowledgeBase:
    measures: Tuple[Measure, ...]
    entries: Dict[str, ServiceEntry]
    facts: Dict[str, Fact]
    industries: IndustriesFile
    topics: Dict[str, Topic]

    def measure(self, key: str) -> Measure:
        """A measure by id, number, official name or alias; KeyError when nothing matches."""
        found = self.find_measure(key)
        if found is None:
            raise KeyError(key)
        return found

    def find_measure(self, key: str) -> Optional[Measure]:
        key = str(key).strip()
        for measure in self.measures:
            if key in (measure.id, str(measure.number), measure.name) or key in measure.aliases:
                return measure
        return None

    def industry(self, code: str) -> Industry:
        return next(industry for industry in self.industries.industries if industry.code == code)

    def fact_values(self, key: str) -> List[EnumValue]:
        fact = self.facts[key]
        if fact.values_from == "industries":
            return [EnumValue(code=i.code, label=i.label, synonyms=i.synonyms) for i in self.industries.industries]
        return list(fact.values)


def _read_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise KbError(f"{_rel(path)}: not valid YAML: {error}") from None
    except OSError as error:
        raise KbError(f"{_rel(path)}: cannot be read: {error}") from None


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent.parent))
    except ValueError:
        return str(path)


def _parse(model, data, path: Path, where: str = ""):
    try:
        return model.parse_obj(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{where}{'.'.join(str(part) for part in problem['loc']) or '(file)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise KbError(f"{_rel(path)}: {problems}") from None


def _load_list(path: Path, model, key_field: str) -> Dict[str, object]:
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise KbError(f"{_rel(path)}: expected a list of entries")
    items: Dict[str, object] = {}
    for index, item in enumerate(data):
        parsed = _parse(model, item, path, where=f"[{index}].")
        key = getattr(parsed, key_field)
        if key in items:
            raise KbError(f"{_rel(path)}: [{index}].{key_field}: duplicate {key!r}")
        items[key] = parsed
    return items


def _load_measures(directory: Path, entries: Dict[str, ServiceEntry]) -> Tuple[Measure, ...]:
    measures = []
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise KbError(f"{_rel(path)}: expected a mapping with the measure's fields")
        measure = _parse(Measure, data, path)
        expected_name = f"{measure.number:02d}_{measure.id}.yaml"
        if path.name != expected_name:
            raise KbError(f"{_rel(path)}: number/id: the file for measure {measure.number} ({measure.id}) must be named {expected_name}")
        for index, use in enumerate(measure.service_entries):
            if use.entry not in entries:
                raise KbError(f"{_rel(path)}: service_entries.{index}.entry: unknown entry {use.entry!r}")
        measures.append(measure)
    numbers = sorted(measure.number for measure in measures)
    if numbers != list(range(1, MEASURE_COUNT + 1)):
        raise KbError(f"{_rel(directory)}: expected measures numbered 1-{MEASURE_COUNT}, found {numbers}")
    return tuple(sorted(measures, key=lambda measure: measure.number))


def load_kb(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """Read and validate every knowledge-base file under data_dir."""
    entries = _load_list(data_dir / "service_entries.yaml", ServiceEntry, "id")
    facts = _load_list(data_dir / "facts.yaml", Fact, "key")
    for fact in facts.values():
        if fact.affirmed_by and getattr(facts.get(fact.affirmed_by), "type", None) != "bool":
            raise KbError(f"facts.yaml: {fact.key}.affirmed_by: {fact.affirmed_by!r} is not a yes/no fact")
    industries_path = data_dir / "industries.yaml"
    industries = _parse(IndustriesFile, _read_yaml(industries_path), industries_path)
    measures = _load_measures(data_dir / "measures", entries)
    topics_path = data_dir / "topics.yaml"
    topics = _load_list(topics_path, Topic, "id")
    known = {measure.id for measure in measures}
    for topic in topics.values():
        unknown = [measure_id for measure_id in topic.measures if measure_id not in known]
        if unknown:
            raise KbError(f"{_rel(topics_path)}: {topic.id}.measures: unknown measure ids {unknown}")
    return KnowledgeBase(measures=measures, entries=entries, facts=facts, industries=industries, topics=topics)


@functools.lru_cache(maxsize=1)
def kb() -> KnowledgeBase:
    """The packaged knowledge base, loaded once per process."""
    return load_kb()
