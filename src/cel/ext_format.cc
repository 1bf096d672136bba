// See library.h.
