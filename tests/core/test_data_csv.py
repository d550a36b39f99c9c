"""CSV/TSV loading: header detection, target choice, one-hot categories, missing values and every bad input."""

import numpy as np
import pytest

from core.data import DataError, load_csv


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_header_is_detected_and_last_column_is_the_class_target(tmp_path):
    data = load_csv(_write(tmp_path, "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n"))
    assert data.feature_names == ["a", "b"] and data.class_names == ["cat", "dog"]
    assert data.task == "classification" and data.y.tolist() == [0, 1, 0]
    assert data.x.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_no_header_when_the_first_row_is_numbers(tmp_path):
    data = load_csv(_write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n"))
    assert len(data) == 3 and data.feature_names == ["column_1", "column_2"]
    assert load_csv(_write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n"), header=True).feature_names == ["1", "2"]


def test_target_by_name_several_regression_targets_and_tsv(tmp_path):
    text = "x\ty1\ty2\tz\n1\t0.5\t2.5\t3\n2\t1.5\t3.5\t4\n3\t2.5\t4.5\t5\n"
    data = load_csv(_write(tmp_path, text, "data.tsv"), target=["y1", "y2"])
    assert data.task == "regression" and data.y.shape == (3, 2) and data.target_names == ["y1", "y2"]
    assert data.feature_names == ["x", "z"]
    assert load_csv(_write(tmp_path, text, "d.tsv"), target=0, task="regression").target_names == ["x"]
    with pytest.raises(DataError, match="no column named 'price': the columns are x, y1, y2, z"):
        load_csv(_write(tmp_path, text, "e.tsv"), target="price")


def test_categorical_feature_columns_are_one_hot_encoded(tmp_path):
    data = load_csv(_write(tmp_path, "colour,size,y\nred,1,0\nblue,2,1\nred,3,0\ngreen,4,1\n"))
    assert data.feature_names == ["colour=blue", "colour=green", "colour=red", "size"]
    assert data.x[:, :3].tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]]


def test_missing_values_are_counted_and_dropped_or_imputed(tmp_path):
    text = "a,b,c,y\n1,,x,0\n2,5,,1\nNA,7,x,0\n4,8,z,1\n6,9,z,0\n"
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=r"missing values \('a': 1, 'b': 1, 'c': 1\).*missing='drop'.*'mean'"):
        load_csv(path)
    dropped = load_csv(path, missing="drop")
    assert len(dropped) == 2 and "dropped 3 rows" in dropped.notes[0]
    mean = load_csv(path, missing="mean")
    assert mean.x[2, 0] == pytest.approx((1 + 2 + 4 + 6) / 4) and mean.x[0, 1] == pytest.approx(29 / 4)
    assert mean.feature_names == ["a", "b", "c=x", "c=z"]  # the text column is filled with its most frequent
    assert load_csv(path, missing="median").x[2, 0] == pytest.approx(3.0)
    with pytest.raises(DataError, match="unknown missing-value policy"):
        load_csv(path, missing="guess")


def test_bad_csv_inputs(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load_csv(_write(tmp_path, "  \n"))
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(DataError, match="not a UTF-8 text file|looks binary"):
        load_csv(tmp_path / "bin.csv")
    with pytest.raises(DataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="row 3 has 2 fields but row 1 has 3"):
        load_csv(_write(tmp_path, "a,b,y\n1,2,0\n3,4\n"))
    with pytest.raises(DataError, match=r"only one class \('1'\)"):
        load_csv(_write(tmp_path, "a,y\n1,1\n2,1\n3,1\n"))
    with pytest.raises(DataError, match="'a' has 1 infinite"):
        load_csv(_write(tmp_path, "a,y\n1,0\ninf,1\n3,0\n"))
    free_text = "note,v,y\n" + "".join(f"text {i},{i},{i % 2}\n" for i in range(60))
    with pytest.raises(DataError, match="'note' is not numeric and has 60 distinct values.*drop_columns"):
        load_csv(_write(tmp_path, free_text))
    assert load_csv(_write(tmp_path, free_text), drop_columns=["note"]).feature_names == ["v"]
    with pytest.raises(DataError, match="regression targets must be numbers"):
        load_csv(_write(tmp_path, "a,y\n1,x\n2,y\n"), task="regression")
    with pytest.raises(DataError, match="1 data row"):
        load_csv(_write(tmp_path, "a,y\n1,0\n"))


def test_numeric_class_labels_keep_readable_names(tmp_path):
    data = load_csv(_write(tmp_path, "a,grade\n1,1.0\n2,10.0\n3,2.0\n4,1.0\n"))
    assert data.task == "classification" and data.class_names == ["1", "2", "10"]
    assert data.y.tolist() == [0, 2, 1, 0]
    assert load_csv(_write(tmp_path, "a,v\n1,0.5\n2,1.5\n3,2.5\n")).task == "regression"
