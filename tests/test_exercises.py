"""The grading framework: verdicts, hints, robustness to hostile student code."""

import time

import numpy as np
import pytest
import torch

from maelearn import exercises
from maelearn.exercises import ExerciseFailed, ExerciseNotAttempted, assert_matches, check, get


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 00.2: replace this line with your code")


def right_accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def test_right_answer_passes_visibly(capsys):
    fn = check("00.2", right_accuracy)
    assert fn is right_accuracy
    assert "✅ Exercise 00.2" in capsys.readouterr().out


def test_not_attempted_uses_reference_with_a_note(capsys, monkeypatch):
    monkeypatch.delenv(exercises.ENV_GRADE_DIR, raising=False)
    monkeypatch.delenv(exercises.ENV_STRICT, raising=False)
    fn = check("00.2", stub)
    assert fn is get("00.2").reference
    assert "not attempted" in capsys.readouterr().out


def test_strict_mode_counts_not_attempted_as_failed(monkeypatch):
    monkeypatch.setenv(exercises.ENV_STRICT, "1")
    with pytest.raises(ExerciseNotAttempted, match="Exercise 00.2 .* not attempted"):
        check("00.2", stub)


def test_wrong_answer_fails_with_case_and_hint():
    def count_not_fraction(logits, labels):
        return float((logits.argmax(dim=1) == labels).sum())

    with pytest.raises(ExerciseFailed) as err:
        check("00.2", count_not_fraction)
    msg = str(err.value)
    assert "Exercise 00.2" in msg and "case '3 rows, 2 right'" in msg
    assert "expected 0.666667, got float 2.0" in msg
    assert "divide by how many rows" in msg


def test_student_exception_is_reported_not_raised_raw():
    def crashes(logits, labels):
        return logits.nosuchmethod()

    with pytest.raises(ExerciseFailed, match="your function raised AttributeError"):
        check("00.2", crashes)


def test_wrong_shape_and_dtype_are_named():
    def no_permute(images):
        return torch.from_numpy(images).float() / 255.0

    with pytest.raises(ExerciseFailed, match=r"expected shape \(1, 3, 2, 3\), got \(1, 2, 3, 3\)[\s\S]*channels are still last"):
        check("00.1", no_permute)

    def float64(images):
        return torch.from_numpy(images).permute(0, 3, 1, 2).double() / 255.0

    with pytest.raises(ExerciseFailed, match="expected dtype torch.float32, got torch.float64"):
        check("00.1", float64)


def test_mutating_the_input_is_caught():
    def sorts_in_place(logits, labels):
        acc = (logits.argmax(dim=1) == labels).float().mean().item()
        logits.zero_()
        return acc

    with pytest.raises(ExerciseFailed, match="changed its input"):
        check("00.2", sorts_in_place)


def test_hanging_submission_times_out_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(get("00.2"), "timeout", 0.5)

    def hangs(logits, labels):
        while True:
            pass

    start = time.perf_counter()
    with pytest.raises(ExerciseFailed, match=r"did not return within 0.5 s"):
        check("00.2", hangs)
    assert time.perf_counter() - start < 5


def test_timeout_also_works_off_the_main_thread():
    import threading

    box = {}

    def run():
        try:
            exercises.call_with_timeout(time.sleep, (10,), {}, 0.2)
        except exercises.ExerciseTimeout:
            box["timed_out"] = True

    t = threading.Thread(target=run)
    t.start()
    t.join(5)
    assert box.get("timed_out")


def test_assert_matches_kinds():
    assert_matches((torch.ones(2), {"a": np.zeros(3)}), (torch.ones(2), {"a": np.zeros(3)}))
    with pytest.raises(AssertionError, match=r"values differ; largest difference 0.5 at index \(1,\)"):
        assert_matches(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match="2 of 3 entries differ"):
        assert_matches(torch.tensor([1, 0, 0]), torch.tensor([1, 2, 3]))
    with pytest.raises(AssertionError, match="expected a tuple of 2 items"):
        assert_matches([1], (1, 2))


def test_timeout_cannot_be_swallowed_by_except_exception(monkeypatch):
    monkeypatch.setattr(get("00.2"), "timeout", 0.3)

    def swallows(logits, labels):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # a student's catch-all must not catch the grader's time-out
                pass

    start = time.perf_counter()
    with pytest.raises(ExerciseFailed, match="did not return within 0.3 s"):
        check("00.2", swallows)
    assert time.perf_counter() - start < 5


def test_a_tensor_subclass_that_always_compares_equal_is_rejected():
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True

    def liar(images):
        return torch.zeros(1).as_subclass(Liar)

    with pytest.raises(ExerciseFailed, match="Liar"):
        check("00.1", liar)


def test_check_leaves_the_learners_generator_alone(capsys):
    torch.manual_seed(7)
    state = torch.get_rng_state()
    check("08.2", get("08.2").reference)  # its cases build models, seeded
    check("05.1", get("05.1").reference)  # a case seeds the global generator for the default
    check("06.1", get("06.1").reference)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("value, expected", [("1", True), ("TRUE", True), (" yes ", True), ("on", True),
                                             ("0", False), ("False", False), ("no", False), ("", False)])
def test_strict_accepts_documented_values(monkeypatch, value, expected):
    monkeypatch.setenv(exercises.ENV_STRICT, value)
    assert exercises.strict() is expected


@pytest.mark.parametrize("value", ["2", "strict", "ture", "y es"])
def test_strict_rejects_other_values_by_name(monkeypatch, value):
    monkeypatch.setenv(exercises.ENV_STRICT, value)
    with pytest.raises(ValueError, match=rf"MAELEARN_STRICT={value!r} is not understood"):
        exercises.strict()
    with pytest.raises(ValueError, match="MAELEARN_STRICT"):
        check("00.2", right_accuracy)


def test_check_imports_only_its_lessons_grader():
    import subprocess
    import sys

    code = ("import sys\nfrom maelearn.exercises import check\n"
            "check('00.2', lambda l, y: (l.argmax(1) == y).float().mean().item())\n"
            "print(sorted(m for m in sys.modules if m.startswith('maelearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith("maelearn.exercises.l")] == ["maelearn.exercises.l00_welcome"]
    assert not {"maelearn.train", "maelearn.experiments", "maelearn.video", "maelearn.mae"} & set(loaded)


def test_grading_mode_hands_the_function_in_and_runs_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(exercises.ENV_GRADE_DIR, str(tmp_path))
    ran = []

    def spy(logits, labels):
        ran.append(1)
        return 0.5

    assert check("00.2", spy) is get("00.2").reference
    assert not ran and "handed in" in capsys.readouterr().out
    assert [p.suffix for p in tmp_path.iterdir()] == [".pkl"]


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(KeyError, match="no exercise '99.9'"):
        get("99.9")


def test_a_case_check_that_meets_an_unforeseen_result_fails_cleanly():
    def float_labels(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
        return tokens.float(), tokens.float()  # the 06.1 checker expects long ids

    with pytest.raises(ExerciseFailed, match="Exercise 06.1"):
        check("06.1", float_labels)


def test_answers_cross_the_process_boundary_as_plain_data():
    import io

    from maelearn.exercises.worker import Foreign, from_wire, to_wire
    from maelearn.masking import Masked

    class Sub(torch.Tensor):
        pass

    m = Masked(torch.ones(1, 2, 3), torch.zeros(1, 4), torch.arange(4)[None], torch.arange(2)[None])
    answer = (np.arange(3.0), np.float64(2.5), {"a": [1, 2.0, None]}, m, torch.zeros(2).as_subclass(Sub), object())
    buf = io.BytesIO()
    torch.save(to_wire(answer), buf)
    back = from_wire(torch.load(io.BytesIO(buf.getvalue()), weights_only=True), answer)
    assert type(back) is tuple and type(back[0]) is np.ndarray and type(back[1]) is np.float64
    assert back[2] == {"a": [1, 2.0, None]}
    assert type(back[3]) is Masked and torch.equal(back[3].ids_restore, m.ids_restore)
    assert isinstance(back[4], Foreign) and "tensor subclass" in back[4].type_name
    assert isinstance(back[5], Foreign) and back[5].type_name == "object"
