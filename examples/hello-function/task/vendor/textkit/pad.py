def center(s, width, fill="*"):
    return s.center(width, fill)
