"""Post-publication monitoring: schedules, re-screens and incidents."""
