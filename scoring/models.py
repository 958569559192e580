# Score records and the model registry arrive with the scoring issue.
