"""Evidence workbooks: reading, guard and verdict here; file formats, tabs and checks below."""
