"""The pure core: parsing, validation, batching, verdicts, the outcome and every text
made from it. No I/O, and no import from outside this package."""
