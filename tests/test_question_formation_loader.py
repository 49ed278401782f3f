"""McCoy et al.'s question-formation files: parsing, counts, bad input, the data stage."""
import json

import pytest

from scalinglab.question_formation import data as question_formation_data
from scalinglab.question_formation import mccoy


@pytest.mark.parametrize("split, count", [("dev", 1000), ("test", 10000)])
def test_loader_parses_shared_files(shared_data, split, count):
    pairs = mccoy.load_pairs(shared_data / f"question_formation.{split}")
    assert len(pairs) == count
    assert {p.marker for p in pairs} == {"decl", "quest"}
    first = pairs[0]
    assert first.sequence()[-1] in (".", "?")
    assert all(p.target[0] == p.source[p.main_aux_index] for p in pairs if p.marker == "quest")


def _write(tmp_path, text, name="bad.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "the walrus doesn't move . decl\tthe walrus doesn't move .\n"


@pytest.mark.parametrize("bad, needle", [
    ("the walrus doesn't move . decl the walrus doesn't move .\n", "missing TAB"),
    ("the walrus doesn't move .\tthe walrus doesn't move .\n", "'. decl' or '. quest'"),
    ("the walrus doesn't move . quest\tdoesn't the walrus move .\n", "must end with '?'"),
    ("the walrus doesn't dance . decl\tthe walrus doesn't dance .\n", "'dance' is not in the 68-token"),
])
def test_malformed_line_names_file_and_line(tmp_path, bad, needle):
    path = _write(tmp_path, GOOD + bad)
    with pytest.raises(ValueError) as err:
        mccoy.load_pairs(path)
    message = str(err.value)
    assert f"{path}:2:" in message and needle in message
    assert "\n" not in message


def test_empty_file_is_an_error(tmp_path):
    path = _write(tmp_path, "\n\n", "empty.txt")
    with pytest.raises(ValueError, match=r"empty\.txt: empty question-formation file"):
        mccoy.load_pairs(path)


def test_offline_download_names_the_config_key(tmp_path):
    with pytest.raises(RuntimeError) as err:
        mccoy.download("train", tmp_path / "question.train",
                       url_template="http://127.0.0.1:9/question.{split}", timeout=2)
    assert "question_formation.source" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "question.train").exists()


def test_prepare_from_local_directory(tmp_path, shared_data):
    from scalinglab.question_formation.grammar import generalisation_pairs
    local = tmp_path / "mccoy"
    local.mkdir()
    (local / "question.train").write_text((shared_data / "question_formation.dev").read_text())
    (local / "question.test").write_text((shared_data / "question_formation.dev").read_text())
    with pytest.raises(FileNotFoundError) as err:  # McCoy's generalisation file is required
        question_formation_data.prepare(tmp_path / "out", source=str(local), gen_pairs=50)
    assert "no question.gen" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out" / "data.json").exists()
    # their gen file (here: lines in its format) is the generalisation set, read, not generated
    gen_lines = [p.line() for p in generalisation_pairs(80, seed=99)]
    (local / "question.gen").write_text("\n".join(gen_lines) + "\n")
    meta = question_formation_data.prepare(tmp_path / "out", source=str(local), gen_pairs=50)
    assert meta["splits"]["train"]["pairs"] == 1000 and meta["splits"]["gen"]["pairs"] == 50
    assert (tmp_path / "out" / "gen.txt").read_text().splitlines() == gen_lines[:50]
    assert meta["entropy_per_token_nats"] is None  # unknown for files
    assert meta["splits"]["train"]["statistics"]["subject_rc_questions"] == 0.0
    assert json.loads((tmp_path / "out" / "data.json").read_text())["source"] == str(local)


def test_mccoy_gen_file_parses(shared_data):
    path = shared_data / "question_formation.gen"
    if not path.is_file():
        pytest.skip(f"McCoy et al.'s question.gen not found at {path}")
    pairs = mccoy.load_pairs(path)
    assert all(p.marker == "quest" and p.subject_has_rc for p in pairs)


def test_prepare_generated_and_bad_source(tmp_path):
    meta = question_formation_data.prepare(tmp_path / "gen", train_pairs=300, test_pairs=30, gen_pairs=30)
    assert meta["splits"]["train"]["pairs"] == 300
    assert 0.8 < meta["entropy_per_token_nats"] < 1.2
    reloaded = mccoy.load_pairs(tmp_path / "gen" / "train.txt")
    assert len(reloaded) == 300
    with pytest.raises(ValueError, match="question_formation.source='nowhere'"):
        question_formation_data.prepare(tmp_path / "x", source="nowhere")
