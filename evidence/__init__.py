"""Evidence workbooks: reading every tab safely, and (later) checking it against the test set."""
