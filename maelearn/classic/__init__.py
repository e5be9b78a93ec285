"""Classical features of lessons 01-04: optical flow (:mod:`.flow`) and motion direction
(:mod:`.motion`), mel spectrograms and MFCCs (:mod:`.spectral`), counts, TF-IDF and word
vectors (:mod:`.words`), and a small CNN's penultimate features (:mod:`.cnn`)."""
