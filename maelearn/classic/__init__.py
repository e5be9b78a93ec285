"""Classical, hand-engineered features the course starts from (lessons 01-04): optical
flow (:mod:`~maelearn.classic.flow`) and the motion-direction classifiers built on it and
on frame differences (:mod:`~maelearn.classic.motion`), mel spectrograms and MFCCs
(:mod:`~maelearn.classic.spectral`), counts, TF-IDF and word vectors
(:mod:`~maelearn.classic.words`), and a small CNN's penultimate features
(:mod:`~maelearn.classic.cnn`)."""
