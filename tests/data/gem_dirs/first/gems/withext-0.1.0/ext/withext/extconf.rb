File.write("Makefile", "all:\n\ninstall:\n\nclean:\n")
