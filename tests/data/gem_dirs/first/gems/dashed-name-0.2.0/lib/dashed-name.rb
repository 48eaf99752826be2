# dashed-name
