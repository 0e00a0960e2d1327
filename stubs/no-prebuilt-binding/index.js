throw new Error('no prebuilt FSRS optimizer binding for this platform');
