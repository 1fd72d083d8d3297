"""Entry points: the command line and the jobs the window runs in a child process."""
