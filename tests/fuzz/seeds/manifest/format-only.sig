format: 1
