"""certokit: the small kernel both services install (issue #13); no app, no settings, no features."""
