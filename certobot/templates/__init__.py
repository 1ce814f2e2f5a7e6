"""What the bot says, as the collection team wrote it: a catalogue, versions in Postgres, a copy in memory."""
