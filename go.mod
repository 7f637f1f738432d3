module pagesim

go 1.26
