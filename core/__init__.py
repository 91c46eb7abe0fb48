"""The bottom layer: settings, context types, dates, zones and logging."""
