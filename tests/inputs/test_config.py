"""Engagement configuration: firm defaults, overrides, and errors that name file, key and fix."""

from pathlib import Path

import pytest
import yaml

from cxkit import ConfigError, load_engagement
from cxkit.inputs.config import deep_merge


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _raw(config: Path) -> dict:
    return yaml.safe_load(config.read_text())


def test_sample_loads_with_firm_defaults(eng):
    assert eng.thresholds.min_group_size == 5
    assert eng.scales["rating5"].missing_codes == (0, 99)
    assert eng.framework.dimensions["clear_definition"].label == "Clear definition"
    assert eng.template.name == "deck.pptx" and eng.template.exists()
    assert len(eng.config_hash) == 16


def test_engagement_overrides_only_what_it_names(engagement_copy):
    raw = _raw(engagement_copy)
    raw["thresholds"] = {"min_group_size": 8}
    raw["framework"] = {"dimensions": {"clear_definition": {"label": "Shared definition"}}}
    eng = load_engagement(_write(engagement_copy, raw))
    assert eng.thresholds.min_group_size == 8
    assert eng.thresholds.min_segment_size == 30  # default kept
    assert eng.framework.dimensions["clear_definition"].label == "Shared definition"
    assert eng.framework.dimensions["clear_definition"].move  # the rest of the dimension kept


def test_deep_merge_replaces_lists_and_merges_mappings():
    assert deep_merge({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}}


def test_unknown_key_is_named_with_a_suggestion(engagement_copy):
    raw = _raw(engagement_copy)
    raw["thresholds"] = {"min_grup_size": 3}
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    problem = caught.value.problems[0]
    assert problem.file == str(engagement_copy.resolve())
    assert problem.key == "thresholds.min_grup_size"
    assert "min_group_size" in problem.fix


def test_every_problem_is_reported_at_once(engagement_copy):
    raw = _raw(engagement_copy)
    del raw["client"]
    raw["feedback"]["attributes"][0].pop("label")
    raw["seed"] = "not a number"
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    keys = {p.key for p in caught.value.problems}
    assert {"client", "feedback.attributes[0].label", "seed"} <= keys


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "..", "", "x" * 81, "/abs"])
def test_engagement_id_that_could_escape_the_output_folder_is_refused(engagement_copy, bad_id):
    raw = _raw(engagement_copy)
    raw["engagement_id"] = bad_id
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    assert any(p.key == "engagement_id" for p in caught.value.problems)


def test_missing_code_inside_the_scale_is_refused(engagement_copy):
    raw = _raw(engagement_copy)
    raw["scales"] = {"rating5": {"min": 1, "max": 5, "missing_codes": [3]}}
    with pytest.raises(ConfigError, match="inside the scale"):
        load_engagement(_write(engagement_copy, raw))


def test_invalid_yaml_names_the_line(engagement_copy):
    engagement_copy.write_text("client: A\nengagement_id: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_engagement(engagement_copy)
    assert caught.value.problems[0].key.startswith("line ")


def test_yaml_is_data_not_code(engagement_copy):
    engagement_copy.write_text("client: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError):
        load_engagement(engagement_copy)


def test_feedback_only_and_diagnostic_only_are_valid(engagement_copy):
    raw = _raw(engagement_copy)
    feedback_only = {k: v for k, v in raw.items() if k != "diagnostic"}
    assert not load_engagement(_write(engagement_copy, feedback_only)).has("diagnostic")
    diagnostic_only = {k: v for k, v in raw.items() if k != "feedback"}
    assert not load_engagement(_write(engagement_copy, diagnostic_only)).has("feedback")
    with pytest.raises(ConfigError, match="neither"):
        load_engagement(_write(engagement_copy, {k: v for k, v in raw.items() if k not in ("feedback", "diagnostic")}))


def test_item_mapped_to_an_unknown_dimension_is_refused(engagement_copy):
    raw = _raw(engagement_copy)
    raw["diagnostic"]["items"][0]["dimension"] = "customer_obsession"
    with pytest.raises(ConfigError, match="customer_obsession"):
        load_engagement(_write(engagement_copy, raw))


def test_yes_and_no_in_yaml_stay_the_words_written(engagement_copy):
    """YAML 1.1 reads yes/no/on/off as booleans: a yes/no outcome's codes, a level named No or a scale label Yes
    would silently become True and False. They stay text; only true and false are booleans."""
    text = engagement_copy.read_text()
    text = text.replace("    yes_no:\n      column: renewed\n      label: Renewed contract\n",
                        "    yes_no:\n      column: renewed\n      label: Renewed contract\n      yes: [Yes, Y, on]\n"
                        "      no: [No, N, off]\n")
    engagement_copy.write_text(text)
    eng = load_engagement(engagement_copy)
    assert eng.feedback.outcomes.yes_no.yes == ("Yes", "Y", "on") and eng.feedback.outcomes.yes_no.no == ("No", "N", "off")
    from cxkit.inputs.config import load_yaml
    assert load_yaml("a: yes\nb: true\nc: False\nd: off") == {"a": "yes", "b": True, "c": False, "d": "off"}
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml("a: !!python/object/apply:os.system ['echo hacked']")   # still safe loading


def test_level_codes_written_as_numbers_are_the_codes_in_the_file(engagement_copy):
    raw = _raw(engagement_copy)
    raw["diagnostic"]["levels"] = {1: "executive", 2: "manager", 3: "frontline"}
    assert load_engagement(_write(engagement_copy, raw)).diagnostic.levels == {"1": "executive", "2": "manager",
                                                                               "3": "frontline"}


def test_a_diagnostic_without_departments_or_levels_is_valid_and_a_level_needs_its_map(engagement_copy):
    raw = _raw(engagement_copy)
    for key in ("department", "level", "levels"):
        raw["diagnostic"].pop(key)
    eng = load_engagement(_write(engagement_copy, raw))
    assert eng.diagnostic.department is None and eng.diagnostic.level is None
    raw["diagnostic"]["level"] = "level"
    with pytest.raises(ConfigError, match="levels: .* or remove 'level:' to run without comparing levels"):
        load_engagement(_write(engagement_copy, raw))


def test_feedback_may_have_no_touchpoints_and_a_yes_no_outcome_alone(engagement_copy):
    raw = _raw(engagement_copy)
    raw["feedback"]["attributes"] = []
    raw["feedback"]["outcomes"] = {"yes_no": raw["feedback"]["outcomes"]["yes_no"]}
    eng = load_engagement(_write(engagement_copy, raw))
    assert eng.feedback.main_outcome is None and eng.outcome.column == "renewed" and eng.outcome_span == 1.0
    raw["feedback"]["outcomes"] = {}
    with pytest.raises(ConfigError, match="name at least one of 'satisfaction', 'recommend' or 'yes_no'"):
        load_engagement(_write(engagement_copy, raw))


@pytest.mark.parametrize("low, high, top, words", [(1, 5, 4, "top-2-box"), (0, 10, 9, "top-2-box"), (1, 4, 4, "top box"),
                                                   (1, 2, 2, "top box"), (1, 3, 3, "top box")])
def test_favourable_ratings_are_the_top_two_boxes_only_on_scales_long_enough(low, high, top, words):
    from cxkit.inputs.config import Scale

    scale = Scale(min=low, max=high)
    assert scale.top2_min == top and scale.top_boxes == words   # on 1-2 the top two boxes would be every answer


def test_two_touchpoints_with_one_label_are_refused(engagement_copy):
    raw = _raw(engagement_copy)
    raw["feedback"]["attributes"][1]["label"] = raw["feedback"]["attributes"][0]["label"]
    with pytest.raises(ConfigError, match="attribute labels used twice: \\['Resolved first time'\\]; give each"):
        load_engagement(_write(engagement_copy, raw))


def _laughs(levels: int = 10) -> str:
    text = 'lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for k in range(1, levels):
        text += f"lol{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]\n"
    return text


@pytest.mark.parametrize("text, key, said", [
    (_laughs(), "lol5", "expands to more than"),                                   # a billion laughs
    ("thresholds: " + "[" * 10_000 + "]" * 10_000 + "\n", "thresholds[0][0][0]", "nested more than"),
    ("a: &a [1, *a]\n", "a", "refers to the value that holds it"),
    ("a: &a0 [x]\n" + "".join(f"a{k}: &a{k} [*a{k - 1}]\n" for k in range(1, 60)), "a49", "nests more than"),
])
def test_yaml_that_would_expand_or_nest_without_bound_is_refused_at_once_naming_the_key(tmp_path, text, key, said):
    import time

    path = tmp_path / "engagement.yaml"
    path.write_text("client: Acme\nengagement_id: acme\n" + text)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_engagement(path)
    assert time.perf_counter() - started < 1.0
    (problem,) = caught.value.problems
    assert problem.key.startswith(key) and said in problem.message and problem.fix


def test_yaml_bounds_leave_ordinary_aliases_alone():
    from cxkit.inputs.config import load_yaml

    assert load_yaml("s: &s {min: 1, max: 5}\nt: *s\nu: [*s, *s]\n")["u"] == [{"min": 1, "max": 5}] * 2


def test_a_yaml_file_too_large_to_be_settings_is_refused_unread(tmp_path):
    path = tmp_path / "engagement.yaml"
    path.write_text("client: Acme\n" + "# padding\n" * 500_000)
    with pytest.raises(ConfigError) as caught:
        load_engagement(path)
    assert caught.value.problems[0].key == "(file)" and "more than" in caught.value.problems[0].message


def test_a_folder_named_as_the_engagement_says_which_yaml_it_holds(engagement_copy):
    with pytest.raises(ConfigError) as caught:
        load_engagement(engagement_copy.parent)
    (problem,) = caught.value.problems
    assert "is a folder" in problem.message and "engagement.yaml" in problem.fix


def test_control_characters_in_the_yaml_name_their_key(engagement_copy):
    raw = _raw(engagement_copy)
    raw["feedback"]["attributes"][1]["label"] = "Staff\vknowledge"
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    (problem,) = caught.value.problems
    assert problem.key == "feedback.attributes[1].label" and "\\x0b" in problem.message


def test_an_unknown_encoding_is_named_at_once(engagement_copy):
    raw = _raw(engagement_copy)
    raw["feedback"]["encoding"] = "klingon"
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    (problem,) = caught.value.problems
    assert problem.key == "feedback.encoding" and "klingon" in problem.message


@pytest.mark.parametrize("setting, content, said", [
    ({"template": "../../../../../../../../etc/passwd"}, None, "is not a PowerPoint presentation (.pptx)"),
    ({"template": "fake.pptx"}, b"not a zip", "cannot be opened as a PowerPoint presentation"),
    ({"template": "folder.pptx"}, "folder", "is a folder"),
    ({"logo": "logo.png"}, b"not an image", "is not a readable image"),
    ({"logo": "logo.png"}, "folder", "is a folder"),
])
def test_deck_files_are_checked_before_any_analysis(engagement_copy, setting, content, said):
    (name,) = setting.values()
    target = engagement_copy.parent / name
    if content == "folder":
        target.mkdir()
    elif content is not None:
        target.write_bytes(content)
    raw = _raw(engagement_copy)
    raw["deck"] = setting
    with pytest.raises(ConfigError) as caught:
        load_engagement(_write(engagement_copy, raw))
    (problem,) = caught.value.problems
    assert problem.key == f"deck.{next(iter(setting))}" and said in problem.message and problem.fix


def test_a_logo_that_is_a_real_image_is_accepted(engagement_copy):
    from PIL import Image

    Image.new("RGB", (40, 20), (46, 125, 50)).save(engagement_copy.parent / "logo.png")
    raw = _raw(engagement_copy)
    raw["deck"] = {"logo": "logo.png"}
    assert load_engagement(_write(engagement_copy, raw)).logo_path.name == "logo.png"
