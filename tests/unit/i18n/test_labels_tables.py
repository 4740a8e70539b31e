"""The tables label table: normalised keys, English text, a Turkish translation for each."""
from helpers.i18n import labels_tables
from tests.fixtures.labels import keys_written_twice, label_table_problems


def test_every_label_is_keyed_marked_and_translated():
    assert labels_tables.LABELS
    assert not label_table_problems(labels_tables.LABELS)


def test_the_check_catches_an_untranslated_label():
    assert label_table_problems({"col_no_such_words": "words nobody translated", "Bad Key": "x"}) == [
        "col_no_such_words: 'words nobody translated' has no Turkish in the catalogue",
        "Bad Key: not a normalised key", "Bad Key: 'x' has no Turkish in the catalogue"]


def test_no_key_is_written_twice():
    assert keys_written_twice(labels_tables) == []


def test_the_twice_check_sees_a_repeated_key(tmp_path):
    from types import SimpleNamespace

    module = tmp_path / "labels_x.py"
    module.write_text('LABELS = {\n    "a": "x",\n    "b": "y",\n    "a": "z",\n}\n', encoding="utf-8")
    assert keys_written_twice(SimpleNamespace(__file__=str(module))) == ["a"]
