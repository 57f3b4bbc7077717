"""What facts imply without asking (policies_kb.facts.implied)."""
from __future__ import annotations

from policies_kb.facts import implied


def test_a_size_makes_an_enterprise_and_an_organisation_asks():
    assert implied({"enterprise_size": "small"}) == {"enterprise_size": "small", "org_type": "enterprise",
                                                      "applicant": "organisation"}


def test_drawing_unemployment_benefit_now_means_it_has_not_run_out():
    assert implied({"employment_status": "receiving_unemployment_benefit"})["unemployment_benefit_expired"] is False


def test_an_enterprise_employee_is_in_the_subsidised_training_groups():
    assert implied({"employment_status": "employed"})["training_target_group"] is True
    assert "training_target_group" not in implied({"employment_status": "unemployed"})


def test_what_was_said_is_never_overridden():
    said = {"employment_status": "receiving_unemployment_benefit", "unemployment_benefit_expired": True}
    assert implied(said)["unemployment_benefit_expired"] is True
