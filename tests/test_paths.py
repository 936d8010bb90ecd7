from pathlib import Path

import pytest

from cxkit.errors import CxkitError
from cxkit.paths import RunPaths, engagement_folder


@pytest.mark.parametrize("bad", ["../x", "a/../../b", "..", "/etc", "a\\b", ""])
def test_engagement_folder_never_leaves_the_output_root(tmp_path, bad):
    with pytest.raises(CxkitError):
        engagement_folder(tmp_path, bad)


def test_engagement_folder_is_a_direct_child(tmp_path):
    assert engagement_folder(tmp_path, "acme-2026.q3_w1") == (tmp_path / "acme-2026.q3_w1").resolve()


def test_result_names_cannot_build_paths(tmp_path):
    paths = RunPaths(tmp_path)
    assert paths.table("maturity") == tmp_path.resolve() / "results" / "maturity.csv"
    with pytest.raises(ValueError):
        paths.table("../evil")
    assert isinstance(paths.figure("a"), Path)
