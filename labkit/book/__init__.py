"""The book's machinery, never imported by a chapter: the command line (:mod:`.cli`), the
papermill runner (:mod:`.runner`), the PDF report (:mod:`.report`), its headline page
(:mod:`.headlines`) and the README's generated parts (:mod:`.readme`)."""
