"""The batch path's inputs JSON: what it hashes and stores is what each row alone would give."""

import hashlib

import orjson

from scoring.features import input_hash, input_provenance, inputs_hashed


def test_inputs_hashed_in_a_batch_give_the_bytes_and_hash_of_each_row_alone():
    """The batch encodes a provenance shared by many rows once (``inputs_hashed``) and stores the bytes it hashed:
    they must be each row's own ``input_hash`` JSON, whether its provenance is shared, its own or absent."""
    shared = input_provenance({})
    rows = [
        {"debt_ratio": 0.5, "provenance": shared[0], "conflicts": shared[1], "cluster": "textiles"},
        {"provenance": shared[0], "conflicts": {"founded_on": {"declared": "2020-01-01"}}, "pledge_rate": None},
        {"provenance": {"inputs": {"b": "terms", "a": "declared"}, "facts": {"z": 1}}, "term_months": 12},
        {"age_years": 1.25, "ip_type": "invention_patent"},
    ]
    for row, (encoded, digest) in zip(rows, inputs_hashed(rows), strict=True):
        assert encoded == orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS)
        assert digest == input_hash(row) == hashlib.sha256(encoded).hexdigest()
