print("heraldd")
