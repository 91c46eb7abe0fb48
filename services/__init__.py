"""Services over store and rendering: briefing delivery and its scheduling."""
