"""The loss functions, each written once against the array API standard."""
