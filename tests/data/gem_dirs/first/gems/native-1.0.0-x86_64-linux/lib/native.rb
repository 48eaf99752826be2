# native
