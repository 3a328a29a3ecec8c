"""The one error type of the SPC engine: input it cannot turn into a meaningful chart."""

from __future__ import annotations


class SpcInputError(ValueError):
    """Bad data or options for a chart, capability study or rule set; the message names it.

    Raised instead of ever returning NaN: missing or non-numeric values, subgroups too small
    for a range or standard deviation, zero-size samples, LSL >= USL, data without variation
    (sigma 0), too few points, unknown chart, rule or sigma method, mismatched frozen limits.
    """
