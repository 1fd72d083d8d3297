"""One module per screen of the main window. Each defines a ``Screen`` subclass."""
