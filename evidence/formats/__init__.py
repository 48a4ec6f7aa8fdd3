"""File formats under a workbook: BIFF8/OOXML containers, embedded files, images, XML, CFDI XSDs."""
