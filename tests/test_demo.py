"""``mlcloss demo``: its data, its F1, its claim, and the same training on every framework."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from mlcloss.__main__ import main
from mlcloss.demo import run, table
from mlcloss.demo.data import f1_scores, from_npz, synthetic
from mlcloss.demo.train import FRAMEWORK_ORDER, Settings
from mlcloss.testing import available_frameworks

SMALL = {"train": 1500, "test": 600, "classes": 40, "features": 32}
DEMO_FRAMEWORKS = [f.name for f in available_frameworks() if f.name in FRAMEWORK_ORDER]


def test_synthetic_data_is_imbalanced_multi_label_and_seeded():
    train, test = synthetic(seed=3, **SMALL)
    again, _ = synthetic(seed=3, **SMALL)
    np.testing.assert_array_equal(train.x, again.x)
    counts = train.labels.sum(axis=1)
    assert counts.min() >= 1 and counts.max() <= 4
    frequency = train.labels.mean(axis=0)
    assert frequency[0] > 10 * frequency[-1]  # power-law class frequencies
    assert test.x.shape == (600, 32) and test.labels.shape == (600, 40)


def test_f1_scores_equal_their_definitions():
    rng = np.random.default_rng(0)
    labels = rng.random((50, 7)) < 0.3
    labels[:, 6] = False  # a class with no positives leaves the macro average
    predicted = rng.random((50, 7)) < 0.4
    micro, macro = f1_scores(predicted, labels)
    tp = fp = fn = 0
    per_class = []
    for c in range(7):
        t = sum(bool(p and y) for p, y in zip(predicted[:, c], labels[:, c]))
        f_p = sum(bool(p and not y) for p, y in zip(predicted[:, c], labels[:, c]))
        f_n = sum(bool(y and not p) for p, y in zip(predicted[:, c], labels[:, c]))
        tp, fp, fn = tp + t, fp + f_p, fn + f_n
        if labels[:, c].any():
            per_class.append(2 * t / (2 * t + f_p + f_n))
    assert micro == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert macro == pytest.approx(np.mean(per_class))


def test_zlpr_beats_sigmoid_bce_on_macro_f1_under_imbalance():
    """The seeds' claim, on NumPy with the closed-form gradients: rare classes need ZLPR."""
    train, test = synthetic(seed=0, **SMALL)
    import mlcloss

    losses = {
        "sigmoid BCE": mlcloss.sigmoid_cross_entropy,
        "ZLPR": mlcloss.multilabel_categorical_crossentropy,
    }
    history = run("numpy", train, test, Settings(epochs=6), losses=losses)
    assert all(0.0 <= v <= 1.0 for scores in history.values() for pair in scores for v in pair)
    assert history["ZLPR"][-1][1] > history["sigmoid BCE"][-1][1] + 0.05
    assert table(history).count("\n") == 6 + 1


@pytest.mark.parametrize("library", DEMO_FRAMEWORKS)
def test_every_framework_trains_the_same_model(library):
    """Same initial weights, batches and optimizer: torch, JAX and TF follow NumPy's run."""
    train, test = synthetic(seed=1, **SMALL)
    import mlcloss

    losses = {"ZLPR": mlcloss.multilabel_categorical_crossentropy}
    settings = Settings(epochs=2)
    got = run(library, train, test, settings, losses=losses)["ZLPR"]
    want = run("numpy", train, test, settings, losses=losses)["ZLPR"]
    np.testing.assert_allclose(got, want, atol=0.02)
    assert got[-1][0] > got[0][0] - 0.01  # learning, not diverging


def test_npz_data_and_its_errors(tmp_path):
    train, test = synthetic(seed=2, **SMALL)
    path = tmp_path / "data.npz"
    np.savez(path, x_train=train.x, y_train=train.labels, x_test=test.x, y_test=test.labels)
    loaded, _ = from_npz(path)
    np.testing.assert_array_equal(loaded.labels, train.labels)
    np.savez(path, x_train=train.x, y_train=train.labels)
    with pytest.raises(ValueError, match=r"missing \['x_test', 'y_test'\]"):
        from_npz(path)
    np.savez(path, x_train=train.x, y_train=train.labels * 2, x_test=test.x, y_test=test.labels)
    with pytest.raises(ValueError, match="multi-hot"):
        from_npz(path)


def test_the_command_prints_json(capsys):
    assert main(["demo", "--framework", "numpy", "--epochs", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["framework"] == "numpy"
    assert set(result["history"]) == {"sigmoid BCE", "ZLPR", "sigmoid focal", "ASL"}


def test_the_command_draws_the_plot(tmp_path, capsys):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed (the conformance session installs it)")
    png = tmp_path / "demo.png"
    assert main(["demo", "--framework", "numpy", "--epochs", "1", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ZLPR" in capsys.readouterr().out


# -- mlcloss demo --sparse: index-list labels at many classes ------------------------------


def test_synthetic_index_labels_are_seeded_distinct_and_padded():
    from mlcloss.demo.sparse import synthetic_index

    train, test = synthetic_index(seed=4, train=300, test=100, classes=5000)
    again, _ = synthetic_index(seed=4, train=300, test=100, classes=5000)
    np.testing.assert_array_equal(train.positives, again.positives)
    kept = train.positives >= 0
    assert kept.sum(axis=1).min() >= 1 and kept.sum(axis=1).max() <= 4
    for row in train.positives:  # each class once a row
        listed = row[row >= 0]
        assert len(set(listed.tolist())) == len(listed)
    dense = train.multi_hot(np.arange(300))
    assert dense.shape == (300, 5000) and (dense.sum(axis=1) == kept.sum(axis=1)).all()
    assert test.x.shape == (100, 64)


def test_sparse_forms_learn_what_the_dense_forms_learn_with_a_fraction_of_the_labels():
    """Dense and sparse compute one loss: the same F1 each epoch; the index lists are a small
    fraction of the multi-hot labels, and on NumPy (whose dense labels, made in the measured
    call, count) the sparse loss's peak is below the dense one's."""
    from mlcloss.demo.sparse import run_sparse, sparse_table, synthetic_index

    train, test = synthetic_index(seed=5, train=400, test=150, classes=3000)
    results = run_sparse("numpy", train, test, Settings(epochs=2, hidden=32))
    for loss in ("ZLPR", "BCE"):
        dense, sparse = results[f"{loss} dense"], results[f"{loss} sparse"]
        np.testing.assert_allclose(sparse["f1"], dense["f1"], atol=1e-3)
        assert sparse["label_bytes"] < 0.02 * dense["label_bytes"]
        assert sparse["peak_bytes"] < dense["peak_bytes"]
    assert sparse_table(results).count("\n") == 4


def test_the_sparse_command_prints_json(capsys):
    args = ["demo", "--sparse", "--framework", "numpy", "--epochs", "1", "--classes", "800"]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["classes"] == 800
    assert set(result["results"]) == {"ZLPR dense", "ZLPR sparse", "BCE dense", "BCE sparse"}
    with pytest.raises(SystemExit):  # --sparse makes its own data: --data is refused
        main(["demo", "--sparse", "--data", "mine.npz"])
    assert "--data is for the dense demo" in capsys.readouterr().err
