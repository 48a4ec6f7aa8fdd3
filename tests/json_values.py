"""Hypothesis strategies for what ``json.loads`` can build from any text, hostile included: every
character (lone surrogates too, through escapes) and integers on both sides of 64 bits."""

from hypothesis import strategies as st

any_text = st.text(alphabet=st.characters(codec=None), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=20,
)
