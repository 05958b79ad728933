def golive_rows():
    raise RuntimeError("its service is unreachable\nsecond line")
