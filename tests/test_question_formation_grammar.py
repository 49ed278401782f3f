"""The question-formation generator (McCoy et al. 2020 grammar, Niu et al. 2024 §6.3)."""
import math

import pytest

from scalinglab.question_formation import grammar
from scalinglab.question_formation.mccoy import load_pairs, main_auxiliary_index
from scalinglab.question_formation.vocab import AUXILIARIES, NOUNS_PLURAL, TOKEN_ID, VOCAB, encode


def _shared_vocab(shared_data):
    words = set()
    for split in ("dev", "test"):
        for line in open(shared_data / f"question_formation.{split}", encoding="utf-8"):
            words.update(line.split())
    return words


def test_vocabulary_is_mccoys_68_tokens(shared_data):
    assert len(VOCAB) == 68
    assert set(VOCAB) == _shared_vocab(shared_data)


def test_generated_vocabulary_is_subset_of_mccoy(shared_data):
    pairs = grammar.generate_pairs(3000, seed=5) + grammar.generalisation_pairs(500, seed=6)
    used = {w for p in pairs for w in p.sequence()}
    assert used <= _shared_vocab(shared_data)
    # and it exercises the whole grammar: every word class shows up
    assert used == set(VOCAB)


def test_generator_is_deterministic():
    a = [p.line() for p in grammar.generate_pairs(200, seed=3)]
    b = [p.line() for p in grammar.generate_pairs(200, seed=3)]
    c = [p.line() for p in grammar.generate_pairs(200, seed=4)]
    assert a == b and a != c


def test_quest_fronts_main_auxiliary_past_relative_clause():
    # The RC holds "doesn't"; the main auxiliary is "do": the question must start with "do".
    src = "the orangutans who some yak doesn't confuse do accept your xylophones".split()
    aux_i = main_auxiliary_index(src)
    assert src[aux_i] == "do"
    target = grammar.transform(src, "quest", aux_i)
    assert " ".join(target) == "do the orangutans who some yak doesn't confuse accept your xylophones ?"
    assert " ".join(grammar.transform(src, "decl", aux_i)) == " ".join(src) + " ."


def test_generated_questions_front_the_main_auxiliary():
    pairs = grammar.generalisation_pairs(400, seed=1)
    for p in pairs:
        assert p.subject_has_rc and p.marker == "quest"
        first_aux = next(i for i, w in enumerate(p.source) if w in AUXILIARIES)
        assert first_aux < p.main_aux_index  # the RC's auxiliary comes first ...
        assert p.target[0] == p.source[p.main_aux_index]  # ... but the main one is fronted
        assert main_auxiliary_index(p.source) == p.main_aux_index
        rest = list(p.source)
        del rest[p.main_aux_index]
        assert list(p.target[1:-1]) == rest and p.target[-1] == "?"


def test_agreement_main_auxiliary_matches_subject_number():
    for p in grammar.generate_pairs(1000, seed=2):
        noun, aux = p.source[1], p.source[p.main_aux_index]
        plural = noun in NOUNS_PLURAL
        assert (aux in ("do", "don't")) == plural, p.line()


def test_training_split_withholds_subject_rc_questions():
    pairs = grammar.generate_pairs(3000, seed=7)
    assert not any(p.marker == "quest" and p.subject_has_rc for p in pairs)
    share = sum(p.marker == "quest" for p in pairs) / len(pairs)
    assert 0.35 < share < 0.45  # McCoy et al.'s files hold ≈40% questions


def test_mccoy_files_follow_the_same_rule(shared_data):
    for split in ("dev", "test"):
        for p in load_pairs(shared_data / f"question_formation.{split}"):
            assert p.target == grammar.transform(p.source, p.marker, p.main_aux_index)


def test_entropy_rate_is_exact_and_near_one_nat():
    pairs = grammar.generate_pairs(4000, seed=0)
    rate = grammar.entropy_rate(pairs)
    assert 0.9 < rate < 1.1
    # ln p of a pair is a sum of ln(weight) choices: a bare-subject intransitive decl sentence
    w = grammar.RELEASED
    p = next(p for p in pairs if len(p.source) == 4 and p.marker == "decl")
    kept = 1 - 0.5 * w.subject[2] / sum(w.subject)  # questions from subject-RC sentences dropped
    expected = (math.log(1 / 2) + math.log(1 / 6) + math.log(w.subject[0] / sum(w.subject))
                + math.log(1 / 13) + math.log(1 / 2) + math.log(w.predicate[0] / sum(w.predicate))
                + math.log(1 / 9) + math.log(1 / 2) - math.log(kept))
    # number, det, modifier, noun | aux, VP kind, verb | marker, renormalised for the drop
    assert p.logprob == pytest.approx(expected)
    assert encode(p.sequence())[0] == TOKEN_ID[p.source[0]]



def test_subject_rc_question_drop_renormalises_the_probabilities():
    """Kept pairs: ln p(sentence) + ln 1/2 - ln(1 - P(subject RC)/2); a subject-RC copy included."""
    w = grammar.RELEASED
    plain = grammar.generate_pairs(300, seed=4, withhold_subject_rc_questions=False)
    dropped = grammar.generate_pairs(300, seed=4)
    shift = -math.log(1 - 0.5 * w.subject_rc_probability())
    by_line = {p.line(): p.logprob for p in plain}
    common = [p for p in dropped if p.line() in by_line]
    assert common and all(p.logprob == pytest.approx(by_line[p.line()] + shift) for p in common)


def test_generated_lines_are_distinct_and_train_test_disjoint(tmp_path):
    from scalinglab.question_formation.data import prepare
    pairs = grammar.generate_pairs(5000, seed=0)
    assert len({p.line() for p in pairs}) == 5000
    prepare(tmp_path, train_pairs=2000, test_pairs=500, gen_pairs=100)
    train = set((tmp_path / "train.txt").read_text().splitlines())
    test = set((tmp_path / "test.txt").read_text().splitlines())
    assert len(train) == 2000 and len(test) == 500 and not train & test
