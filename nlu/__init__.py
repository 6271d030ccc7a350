"""Understanding Vietnamese as workers type it: normalisation and the NLU engines."""
