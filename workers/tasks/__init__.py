"""Task modules, one per concern; each task calls a domain or workflow function."""
