# alpha
