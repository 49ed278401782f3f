"""The generator against McCoy et al.'s released files: sentence-shape statistics (issue 13 item 4)."""
import pytest

from scalinglab.question_formation import grammar
from scalinglab.question_formation.grammar import Pair, transform
from scalinglab.question_formation.mccoy import load_pairs, main_auxiliary_index
from scalinglab.question_formation.statistics import shape, summarise

# Proportions of McCoy et al.'s data/question.test (10,000 pairs), measured with summarise();
# the generator alone must reproduce them (issue 13: "within a couple of points", no duplicates).
MCCOY_TEST = dict(subject_rc=0.1832, intransitive_main_verb=0.1123, object_rc=0.3526,
                  questions=0.4034, duplicate_lines=0, subject_rc_questions=0.0)
# ... and of their data/question.gen (10,000 questions, all with an RC subject): never three
# auxiliaries (the object never has an RC), RC kinds 32/33/35%, intransitive main verbs 59.2%.
MCCOY_GEN = dict(subject_rc=1.0, questions=1.0, object_rc=0.0, three_auxiliaries=0.0,
                 intransitive_main_verb=0.5921, subject_rc_subject_gap_intransitive=0.3204,
                 subject_rc_object_gap=0.3333, subject_rc_subject_gap_transitive=0.3463)
POINTS = 0.02  # "a couple of points"


def _pair(line: str) -> Pair:
    src = tuple(line.split())
    aux = main_auxiliary_index(src)
    return Pair(src, "decl", transform(src, "decl", aux), aux, False, float("nan"))


@pytest.mark.parametrize("sentence, expected", [
    ("the newt does sleep", ("bare", None, True, None, None, 1)),
    ("the newt near my yaks does confuse her raven", ("pp", None, False, "bare", None, 1)),
    ("the newt who does sleep does confuse her raven by the yak", (
        "rc", "subject_gap_intransitive", False, "pp", None, 2)),
    ("the newts that the yak doesn't admire do amuse my zebra who does read", (
        "rc", "object_gap", False, "rc", "subject_gap_intransitive", 3)),
    ("her yak who doesn't confuse our ravens doesn't amuse the newts that my yak does admire", (
        "rc", "subject_gap_transitive", False, "rc", "object_gap", 3)),
])
def test_shape_reads_modifiers_rc_kinds_and_auxiliaries(sentence, expected):
    s = shape(sentence.split())
    assert (s.subject, s.subject_rc, s.intransitive, s.object, s.object_rc, s.auxiliaries) == expected


def test_shape_rejects_words_outside_the_grammar():
    with pytest.raises(ValueError, match="not a sentence"):
        shape("the newt does sleep the yak".split())
    with pytest.raises(ValueError, match="not a sentence"):
        shape("the newt sleep".split())


def test_summarise_counts_proportions_and_duplicates():
    lines = ["the newt does sleep", "the newt does sleep",
             "the newts who do sleep don't confuse her raven",
             "the newt near my yaks does confuse her raven that the yak doesn't admire"]
    pairs = [_pair(x) for x in lines]
    quest = pairs[1]
    pairs[1] = Pair(quest.source, "quest", transform(quest.source, "quest", 2), 2, False, quest.logprob)
    stats = summarise(pairs)
    assert stats["pairs"] == 4 and stats["duplicate_lines"] == 0  # decl and quest lines differ
    assert stats["subject_rc"] == 0.25 and stats["object_rc"] == 0.25
    assert stats["intransitive_main_verb"] == 0.5 and stats["questions"] == 0.25
    assert stats["subject_rc_subject_gap_intransitive"] == 1.0 and stats["object_rc_object_gap"] == 1.0
    assert summarise([pairs[0], pairs[0]])["duplicate_lines"] == 1
    with pytest.raises(ValueError, match="no pairs"):
        summarise([])


@pytest.fixture(scope="module")
def generated():
    return grammar.generate_pairs(10_000, seed=11)


@pytest.mark.parametrize("key", sorted(MCCOY_TEST))
def test_generator_reproduces_mccoys_test_file_proportions(generated, key):
    value = summarise(generated)[key]
    assert value == pytest.approx(MCCOY_TEST[key], abs=POINTS), key


def test_generator_matches_the_shared_test_file(generated, shared_data):
    """The same comparison read from McCoy et al.'s file itself (skips where it is absent)."""
    theirs = summarise(load_pairs(shared_data / "question_formation.test"))
    ours = summarise(generated)
    for key in ("subject_rc", "intransitive_main_verb", "object_rc", "questions"):
        assert ours[key] == pytest.approx(theirs[key], abs=POINTS), (key, ours[key], theirs[key])
    assert theirs["duplicate_lines"] == ours["duplicate_lines"] == 0
    for key in MCCOY_TEST:  # the constants above are that file's numbers
        assert theirs[key] == pytest.approx(MCCOY_TEST[key], abs=5e-5), key


def test_dropped_subject_rc_questions_are_not_turned_into_copies():
    """50/50 question or copy, then the subject-RC questions dropped: subject-RC pairs are copies
    at half the rate a plain redraw would give (18% of pairs, not the 31% of sentences)."""
    pairs = grammar.generate_pairs(6000, seed=3)
    stats = summarise(pairs)
    assert stats["subject_rc_questions"] == 0.0
    p_rc = grammar.RELEASED.subject_rc_probability()
    assert stats["subject_rc"] == pytest.approx((p_rc / 2) / (1 - p_rc / 2), abs=0.015)
    everything = summarise(grammar.generate_pairs(6000, seed=3, withhold_subject_rc_questions=False))
    assert everything["subject_rc"] == pytest.approx(p_rc, abs=0.015)
    assert everything["questions"] == pytest.approx(0.5, abs=0.02)


def test_generalisation_set_is_like_mccoys_question_gen():
    stats = summarise(grammar.generalisation_pairs(4000, seed=5))
    assert stats["duplicate_lines"] == 0
    for key, value in MCCOY_GEN.items():
        assert stats[key] == pytest.approx(value, abs=0.025), key


def test_generalisation_set_against_mccoys_gen_file(shared_data):
    path = shared_data / "question_formation.gen"
    if not path.is_file():
        pytest.skip(f"McCoy et al.'s question.gen not found at {path}")
    theirs = summarise(load_pairs(path))
    ours = summarise(grammar.generalisation_pairs(4000, seed=5))
    assert theirs["three_auxiliaries"] == ours["three_auxiliaries"] == 0.0
    for key in ("intransitive_main_verb", "subject_rc_object_gap"):
        assert ours[key] == pytest.approx(theirs[key], abs=0.025), key
