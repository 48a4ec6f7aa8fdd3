"""Operations shared by web handlers, tasks and the command line that change stored state:
the certification state machine, the audit log and folios."""
