// Parser stage; see parser.h.
