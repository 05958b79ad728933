from pivotdesk.readiness import WARNING, Row


def golive_rows():
    return [Row("counter", WARNING, "an app's own row")]
