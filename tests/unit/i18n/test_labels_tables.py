"""The tables label table: normalised keys, English text, a Turkish translation for each."""
from helpers.i18n import labels_tables
from tests.fixtures.labels import label_table_problems


def test_every_label_is_keyed_marked_and_translated():
    assert labels_tables.LABELS
    assert not label_table_problems(labels_tables.LABELS)


def test_the_check_catches_an_untranslated_label():
    assert label_table_problems({"col_no_such_words": "words nobody translated", "Bad Key": "x"}) == [
        "col_no_such_words: 'words nobody translated' has no Turkish in the catalogue",
        "Bad Key: not a normalised key", "Bad Key: 'x' has no Turkish in the catalogue"]


def test_no_key_is_written_twice():
    """A dict literal keeps the last of two equal keys silently; the table must not rely on that."""
    import ast
    import collections

    tree = ast.parse(open(labels_tables.__file__, encoding="utf-8").read())
    keys = [k.value for k in tree.body[-1].value.keys]
    assert [k for k, n in collections.Counter(keys).items() if n > 1] == []
